import { Module } from '@nestjs/common';
import { CardsModule } from '../../cards/cards.module.js';
import { PhotoModule } from '../../photo/photo.module.js';
import { RegisterModule } from '../../register/register.module.js';
import { RequestsModule } from '../requests/requests.module.js';
import { OrderRepository } from './order.repository.js';
import { OrdersController } from './orders.controller.js';
import { OrdersJobs } from './orders.jobs.js';
import { OrdersService } from './orders.service.js';

/** Step 4: card orders (by the fund, or automatically once the photo is accepted). */
@Module({
  imports: [CardsModule, RegisterModule, PhotoModule, RequestsModule],
  controllers: [OrdersController],
  providers: [OrderRepository, OrdersService, OrdersJobs],
  exports: [OrdersService],
})
export class OrdersModule {}
